// Command ferretdb-runner embeds FerretDB with its SQLite backend so that the local stack has a
// MongoDB-compatible store without Docker. `go install` of FerretDB's own cmd panics at start
// (it wants a generated version.txt); the embeddable package does not.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof" // served only with -pprof-addr
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "./.cache/ferretdb-data/", "SQLite data directory (created if missing)")
	pragmas := flag.String("sqlite-pragmas", "", "extra SQLite pragmas for every connection, comma-separated (e.g. synchronous(normal))")
	pprofAddr := flag.String("pprof-addr", "", "address to serve Go's /debug/pprof on (profiling the store); off when empty")
	flag.Parse()

	if *pprofAddr != "" {
		go func() { log.Printf("ferretdb-runner: pprof: %v", http.ListenAndServe(*pprofAddr, nil)) }()
	}

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatalf("cannot create data directory %s: %v", *dir, err)
	}
	url := "file:" + *dir
	if url[len(url)-1] != '/' {
		url += "/"
	}
	if *pragmas != "" {
		sep := "?"
		for _, p := range strings.Split(*pragmas, ",") {
			url += sep + "_pragma=" + p
			sep = "&"
		}
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Handler:   "sqlite",
		SQLiteURL: url,
	})
	if err != nil {
		log.Fatalf("cannot configure FerretDB: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log.Printf("ferretdb-runner listening on %s, data in %s", *addr, *dir)
	go indexIDs(ctx, *dir)
	f.Run(ctx)
	log.Printf("ferretdb-runner stopped")
}

// indexIDs gives every collection table an index on the exact expression FerretDB 1.24 queries _id with
// (`_ferretdb_sjson->'$._id'`). Its own _id index is on `_ferretdb_sjson->"_id"`, which SQLite cannot use for that
// expression, so every lookup, update or delete by _id scanned the whole collection. Tables are looked at
// every two seconds, so new collections get the index soon after they are created.
func indexIDs(ctx context.Context, dir string) {
	ticker := time.NewTicker(2 * time.Second)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			if err := indexFile(ctx, file); err != nil {
				log.Printf("ferretdb-runner: _id index for %s: %v", file, err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func indexFile(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return nil // not a FerretDB database (yet)
	}
	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err == nil {
			tables = append(tables, table)
		}
	}
	rows.Close()
	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+"_id_lookup", table)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
