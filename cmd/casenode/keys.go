package main

import "context"

// keysVerbs are the agency's own key management commands.
func keysVerbs() []nounVerb {
	return []nounVerb{
		{"rotate", "make new keys for the agency, keeping the previous ones to read old messages", runKeysRotate},
		{"list", "list the agency's current and previous keys", runKeysList},
	}
}

func runKeys(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "keys", keysVerbs(), args)
}
