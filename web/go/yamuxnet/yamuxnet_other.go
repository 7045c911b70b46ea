//go:build !wasip1

package yamuxnet

import (
	"context"
	"net"
)

func listen() (net.Listener, error) { return nil, ErrUnsupported }

// Dial opens a stream toward the event side (GOOS=wasip1 only).
func Dial(ctx context.Context) (net.Conn, error) { return nil, ErrUnsupported }
