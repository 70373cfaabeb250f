// Package attach moves the ciphertext of attachments between a node and
// its hub's attachment service (docs/PROTOCOL.md, attachments): it
// declares an object, uploads the chunks the hub does not have yet, and
// downloads an object's chunks in order into a file that grows by whole
// chunks, so that an upload or a download cut at any point resumes from
// what the other side has. A bounded number of chunks is in flight; a
// chunk whose request failed or timed out is asked again with back-off;
// every chunk is checked against its SHA-256 on both sides.
package attach
