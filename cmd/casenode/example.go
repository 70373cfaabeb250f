package main

import (
	"context"
	"errors"
)

func runExample(ctx context.Context, e *env, args []string) error {
	return errors.New("example: not yet built")
}
