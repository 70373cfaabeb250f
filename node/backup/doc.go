// Package backup writes a node's directory into one archive and brings it
// back into a new directory.
//
// The archive is a gzip-compressed tar stream: every regular file of the
// directory (keys, node.json, credentials, certificates…) as it is on disk,
// then the bbolt files — a node's one file, its audit log and its store
// together (a directory of the earlier layout: the store's file before the
// audit log's, so that the log's copy holds the record of everything the
// store's copy holds) — each as a consistent copy from one read
// transaction (bbolt's Tx.WriteTo), taken
// while a running node goes on, and last a manifest (MANIFEST.json) with
// the size, mode and SHA-256 of every file. Restore accepts only regular
// files and directories under the target, checks every file against the
// manifest, and renames the restored directory into place only when all of
// it is there and synced: a truncated or altered archive restores nothing.
//
// An archive holds the agency's private keys (encrypted when the agency
// chose a passphrase) and is written 0600; keep it like the keys.
package backup
