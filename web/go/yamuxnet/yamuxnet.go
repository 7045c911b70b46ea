// Package yamuxnet gives a Go program that runs in the wasm worker of @yamux/web
// (GOOS=wasip1 GOARCH=wasm, under the WASI host of web/src/host/) its yamux streams as
// standard network connections. The host presents every yamux stream as a non-blocking
// stream socket, so the standard library does the rest: reads and writes park goroutines in
// the runtime's poller, deadlines work, CloseWrite half-closes (yamux FIN).
//
//   - Listen returns the listener of the streams the event side opens (session.open() in
//     JavaScript): descriptor 3, which the host preopens as a listening socket. It is the
//     same as net.FileListener(os.NewFile(3, "yamux")), which an unmodified program may use.
//   - Dial opens a stream toward the event side (it receives it from session.accept()),
//     through the host's one extra import, yamux.dial.
//
// The connections are *net.TCPConn values without addresses (LocalAddr and RemoteAddr are
// nil). On other platforms both functions return ErrUnsupported.
//
// Example (an HTTP server whose clients are the page's yamux streams):
//
//	l, err := yamuxnet.Listen()
//	if err != nil {
//		log.Fatal(err)
//	}
//	log.Fatal(http.Serve(l, http.FileServer(http.Dir("/"))))
//
// Example (a request to the event side, over a stream the program opens):
//
//	c, err := yamuxnet.Dial(ctx)
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	fmt.Fprintf(c, "hello\n")
//	c.(*net.TCPConn).CloseWrite()
//	reply, err := io.ReadAll(c)
package yamuxnet

import (
	"errors"
	"net"
	"sync"
)

// ErrUnsupported is returned outside the wasm worker's WASI host (any GOOS but wasip1).
var ErrUnsupported = errors.New("yamuxnet: only in the WASI host of @yamux/web (GOOS=wasip1)")

var (
	listenOnce sync.Once
	listener   net.Listener
	listenErr  error
)

// Listen returns the listener of the streams the event side opens (descriptor 3). Every
// call returns the same listener: closing it stops accepting for good (the event side's new
// streams are refused).
func Listen() (net.Listener, error) {
	listenOnce.Do(func() { listener, listenErr = listen() })
	return listener, listenErr
}
