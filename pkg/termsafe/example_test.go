package termsafe_test

import (
	"fmt"

	"github.com/hello-cli/hello/pkg/termsafe"
)

func Example() {
	// A name as a provider might send it: clear the screen, turn red, ring.
	name := "Eve\x1b[2J\x1b[31mRED\x07"
	fmt.Println("Logged in as " + termsafe.Line(name))

	// A body printed as lines of its own keeps its layout.
	fmt.Print(termsafe.Text("line one\n\tline two\u202E\n"))
	// Output:
	// Logged in as Eve^[[2J^[[31mRED^G
	// line one
	// 	line two<U+202E>
}
