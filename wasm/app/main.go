// Command app is the browser side of the eBIOS web app (GOOS=js GOARCH=wasm):
//
//	GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm/app
//
// It only registers the routes and starts go-app; keep server code out of it.
package main

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/ebios/ebios/app"
)

func main() {
	app.Routes()
	goapp.RunWhenOnBrowser()
}
