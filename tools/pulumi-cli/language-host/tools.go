//go:build tools

// Package tools pins the Node.js language host. The host's own module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the module proxy here, so
// this takes the last SDK release that still carried it inside github.com/pulumi/pulumi/sdk/v3 (see README.md).
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
