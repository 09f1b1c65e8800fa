// nodeimage is the one program in the real-node test's tiny image (tests/e2e/node), static, so
// the image is this file alone:
//
//	nodeimage [pause]        the Pod sandbox's pause process (containerd's sandbox_image), and
//	                         the idle "app" of test Deployments: waits for SIGTERM/SIGINT, reaps
//	                         children
//	nodeimage listen ADDR    a TCP server that accepts and closes connections (the dependency
//	                         a probe waits for), until SIGTERM
//	nodeimage true           exits 0 at once (a do-nothing init container)
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	mode := "pause"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	switch mode {
	case "pause":
		reap := make(chan os.Signal, 8)
		signal.Notify(reap, syscall.SIGCHLD)
		for {
			select {
			case <-stop:
				os.Exit(0)
			case <-reap:
				for {
					var ws syscall.WaitStatus
					pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
					if pid <= 0 || err != nil {
						break
					}
				}
			}
		}
	case "listen":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "usage: nodeimage listen ADDR")
			os.Exit(2)
		}
		l, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "nodeimage listen:", err)
			os.Exit(1)
		}
		fmt.Println("listening on", l.Addr())
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		<-stop
	case "true":
	default:
		fmt.Fprintf(os.Stderr, "nodeimage: unknown mode %q (pause, listen ADDR, true)\n", mode)
		os.Exit(2)
	}
}
