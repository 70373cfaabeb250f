package protocol

import "fmt"

// Status is the body of a case.status message: where the execution of a
// request (or the handling of another message) stands. Each status replaces
// the previous one about the same message.
type Status struct {
	// Version is BodyVersion.
	Version int `json:"v"`
	// About is the message id of the message whose handling is reported.
	About string `json:"about"`
	// State is where its handling stands.
	State State `json:"state"`
	// Reason gives the grounds of a refusal, or says what information is
	// missing, 1 to 2,000 characters. It is required when State is
	// refused or more-information-needed and must be absent otherwise.
	Reason string `json:"reason,omitempty"`
	// Note adds anything else, at most 2,000 characters.
	Note string `json:"note,omitempty"`
}

// Type returns TypeStatus.
func (s *Status) Type() MessageType { return TypeStatus }

// Validate checks every field of the status.
func (s *Status) Validate() error {
	const p = "status"
	if err := checkVersion(p+".v", s.Version); err != nil {
		return err
	}
	if err := checkMessageID(p+".about", s.About); err != nil {
		return err
	}
	if err := checkEnum(p+".state", s.State, States()); err != nil {
		return err
	}
	if s.State == StateRefused || s.State == StateMoreInformationNeeded {
		if err := checkText(p+".reason", s.Reason, 1, 2000); err != nil {
			return fmt.Errorf("%w (required when state is %s)", err, s.State)
		}
	} else if s.Reason != "" {
		return fmt.Errorf("%s.reason: must be absent unless state is refused or more-information-needed", p)
	}
	return checkText(p+".note", s.Note, 0, 2000)
}

// State is where the handling of a message stands.
type State string

// The states, in the order a request usually goes through them.
const (
	StateReceived              State = "received"                // registered by the requested agency
	StateUnderReview           State = "under-review"            // being examined: admissibility, legal conditions
	StateInExecution           State = "in-execution"            // measures are being carried out
	StateExecuted              State = "executed"                // done; the results follow in a reply
	StateRefused               State = "refused"                 // will not be executed; reason gives the grounds
	StateMoreInformationNeeded State = "more-information-needed" // on hold; reason says what is missing
)

// States returns every state.
func States() []State {
	return []State{StateReceived, StateUnderReview, StateInExecution, StateExecuted, StateRefused, StateMoreInformationNeeded}
}
