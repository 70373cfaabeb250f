package main

import (
	"context"
	"errors"
)

func runOpen(ctx context.Context, e *env, args []string) error {
	return errors.New("open: not yet built")
}
