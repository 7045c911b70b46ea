module yamuxnet

go 1.21
