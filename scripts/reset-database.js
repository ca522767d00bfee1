// Drops the database a MongoDB URI names (the local run's demo database, before a new emulator org).
const mongoose = require('mongoose');

const uri = process.argv[2];
if (!uri) {
  process.stderr.write('usage: node scripts/reset-database.js <mongodb uri with a database>\n');
  process.exit(2);
}
mongoose
  .connect(uri, { serverSelectionTimeoutMS: 10_000 })
  .then(() => mongoose.connection.dropDatabase())
  .then(() => mongoose.disconnect())
  .catch((error) => {
    process.stderr.write(`could not reset ${uri.replace(/\/\/[^@]*@/, '//')}: ${error.message}\n`);
    process.exit(1);
  });
