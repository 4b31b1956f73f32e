//go:build tools

// Package tools pins the Pulumi CLI: `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` from this module
// builds the version in go.mod, with go.sum holding every module's checksum.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
