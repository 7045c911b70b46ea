module yamux-wasm

go 1.23

require (
	yamux-interop v0.0.0
	yamuxnet v0.0.0
)

require (
	github.com/hashicorp/yamux v0.1.2 // indirect
	github.com/libp2p/go-buffer-pool v0.0.2 // indirect
	github.com/libp2p/go-yamux/v5 v5.1.0 // indirect
)

replace yamux-interop => ../../interop/go

replace yamuxnet => ./yamuxnet
