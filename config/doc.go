// Package config reads and checks casenode's two configuration files: an
// agency node's DIR/node.json and a hub's H/hub.json.
//
// Each follows the same steps: Default… gives every optional field its
// value, the file is decoded over it strictly (unknown fields, trailing data
// and files over MaxFileSize are refused), then Validate checks every field
// and names the one at fault, as in "hub.listen: …" or "node.hub_urls[0]: …".
// Relative paths in a file are relative to the directory holding it.
package config
