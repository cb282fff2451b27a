package inspect

import (
	"fmt"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/userfile"
)

// Source is the one sequence a model is run on: exactly one of Tokens
// (token ids separated by spaces or commas, ParseTokens), TokensFile (a
// file of them, at most userfile.TokensLimit bytes) or Text (one token per
// byte, for a byte-level model). BOS goes with Text only: the token put in
// front of it (TransformerLens prepend_bos), an id or "none" ("" the
// model's own), which the caller resolves against the model.
type Source struct{ Tokens, TokensFile, Text, BOS string }

// Check validates s before a model is loaded. Its errors are
// *badinput.Setting naming tokens, tokens_file, text and bos.
func (s Source) Check() error {
	n := 0
	for _, v := range []string{s.Tokens, s.TokensFile, s.Text} {
		if v != "" {
			n++
		}
	}
	switch {
	case n != 1:
		return badinput.Settingf("give exactly one of {tokens}, {tokens_file} or {text}")
	case s.BOS != "" && s.Text == "":
		return badinput.Settingf("{bos} goes with {text} ({tokens} are taken as given)")
	}
	return nil
}

// Read returns the sequence's tokens (without the BOS). Tokens that do not
// parse are a *badinput.Setting naming tokens; a file that cannot be read
// or does not parse is a runtime error naming the file.
func (s Source) Read() ([]int32, error) {
	switch {
	case s.Tokens != "":
		tokens, err := ParseTokens(s.Tokens)
		if err != nil {
			return nil, badinput.Settingf("{tokens}: %v", err)
		}
		return tokens, nil
	case s.TokensFile != "":
		b, err := userfile.ReadFile(s.TokensFile, userfile.TokensLimit)
		if err != nil {
			return nil, err
		}
		tokens, err := ParseTokens(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", s.TokensFile, err)
		}
		return tokens, nil
	}
	return Bytes(s.Text), nil
}
