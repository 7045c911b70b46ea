module yamux-component-guests

go 1.22
