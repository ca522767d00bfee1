// Command ferretdb-runner embeds FerretDB with its SQLite backend so that the local stack has a
// MongoDB-compatible store without Docker. `go install` of FerretDB's own cmd panics at start
// (it wants a generated version.txt); the embeddable package does not.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "./.cache/ferretdb-data/", "SQLite data directory (created if missing)")
	flag.Parse()

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatalf("cannot create data directory %s: %v", *dir, err)
	}
	url := "file:" + *dir
	if url[len(url)-1] != '/' {
		url += "/"
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
	f.Run(ctx)
	log.Printf("ferretdb-runner stopped")
}
