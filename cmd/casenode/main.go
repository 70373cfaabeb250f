// Command casenode is the node that every agency of a judicial cooperation
// network runs to exchange sealed case messages, and the secretariat's and
// auditor's tool for the same network.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], newEnv()))
}
