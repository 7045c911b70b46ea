package yamuxnet_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"yamuxnet"
)

// A program in the wasm worker serving HTTP to the event side: every stream the page opens
// (session.open()) is one connection.
func ExampleListen() {
	l, err := yamuxnet.Listen()
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the wasm worker")
	})))
}

// A program in the wasm worker asking the event side something over a stream it opens (the
// page receives it from session.accept()).
func ExampleDial() {
	c, err := yamuxnet.Dial(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /config\n")
	c.(*net.TCPConn).CloseWrite() // FIN: the event side reads to the end, then answers
	answer, err := io.ReadAll(c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", answer)
}
