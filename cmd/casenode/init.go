package main

import (
	"context"
	"errors"
)

func runInit(ctx context.Context, e *env, args []string) error {
	return errors.New("init: not yet built")
}
