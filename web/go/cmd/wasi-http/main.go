// Command wasi-http is an unmodified Go net/http server for the wasm worker (GOOS=wasip1):
// it serves on descriptor 3, the listener the WASI host of @yamux/web preopens, whose
// connections are the yamux streams the event side opens. Nothing in it knows about yamux;
// under `yamux-wasi --listen 127.0.0.1:8080 wasi-http.wasm` curl reaches it through TCP.
//
//	GET  /             a greeting with the request count
//	GET  /bytes?n=N    N bytes of a pattern (byte k is k*31+k>>8 mod 256)
//	POST /echo         the request body, echoed
//	GET  /exit?code=C  answers, then exits with status C
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// period is the /bytes pattern's 64 KiB period: byte k is k*31 + k>>8 (mod 256).
var period = func() []byte {
	b := make([]byte, 64<<10)
	for k := range b {
		b[k] = byte(k*31 + k>>8)
	}
	return b
}()

func main() {
	l, err := net.FileListener(os.NewFile(3, "yamux"))
	if err != nil {
		log.Fatal(err)
	}
	var count atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from Go %s in the wasm worker, request %d\n", runtimeVersion(), count.Add(1))
	})
	mux.HandleFunc("GET /bytes", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 || n > 1<<30 {
			http.Error(w, "n: a byte count up to 1 GiB", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		for off := 0; off < n; off += len(period) { // the pattern repeats every 64 KiB
			if _, err := w.Write(period[:min(len(period), n-off)]); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength >= 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
		}
		io.Copy(w, r.Body)
	})
	mux.HandleFunc("GET /exit", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		fmt.Fprintf(w, "exiting with %d\n", code)
		w.(http.Flusher).Flush()
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.Exit(code)
		}()
	})
	log.Printf("serving HTTP on descriptor 3")
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(l))
}
