package main

import (
	"context"
	"errors"
)

func runSeal(ctx context.Context, e *env, args []string) error {
	return errors.New("seal: not yet built")
}
