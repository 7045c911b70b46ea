package peer

import (
	"io"
	"time"
)

// acceptLoop accepts every stream the remote opens until the session ends and returns
// the error the session ended with. The streams are served once gate is closed.
func acceptLoop(o *options, st *stats, sess muxSession, gate <-chan struct{}) error {
	for {
		s, err := sess.Accept()
		if err != nil {
			return err
		}
		st.streamsAccepted.Add(1)
		go func() {
			<-gate
			serveStream(o, st, s)
		}()
	}
}

// serveStream echoes the stream back byte for byte (--mode echo) or discards it (--mode
// sink); when the remote half-closes it half-closes too. A reset stream or a session
// that ends just stops it.
func serveStream(o *options, st *stats, s muxStream) {
	buf := make([]byte, o.writeSize)
	for {
		if o.readDelay > 0 {
			time.Sleep(o.readDelay)
		}
		n, err := s.Read(buf)
		if n > 0 {
			st.bytesReceived.Add(int64(n))
			if o.mode == "echo" {
				if _, werr := s.Write(buf[:n]); werr != nil {
					return
				}
				st.bytesSent.Add(int64(n))
			}
		}
		if err == io.EOF {
			s.CloseWrite()
			return
		}
		if err != nil {
			return
		}
	}
}
