//go:build wasip1

package yamuxnet

import (
	"context"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// dial is the host's import (web/src/host/wasi/preview1.js): it opens a stream toward the
// event side and stores its descriptor at fd; the result is a WASI errno.
//
//go:wasmimport yamux dial
//go:noescape
func dial(flags uint32, fd unsafe.Pointer) uint32

func listen() (net.Listener, error) {
	f := os.NewFile(3, "yamux")
	l, err := net.FileListener(f) // shares the descriptor (reference counted)
	f.Close()
	return l, err
}

// Dial opens a stream toward the event side. The stream exists at once (its data may
// follow before the event side accepts it); a stream the event side refuses reads as
// connection reset. Errors: ECONNREFUSED when the event side accepts no new streams
// (GoAway), ENETDOWN once the session is over, EMFILE at the stream limit.
func Dial(ctx context.Context) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: "yamux", Err: err}
	}
	var fd uint32
	if errno := dial(0, unsafe.Pointer(&fd)); errno != 0 {
		return nil, &net.OpError{Op: "dial", Net: "yamux", Err: os.NewSyscallError("yamux.dial", syscall.Errno(errno))}
	}
	f := os.NewFile(uintptr(fd), "yamux-stream")
	c, err := net.FileConn(f)
	f.Close()
	return c, err
}
