//go:build !wasm

package app

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// installWaitMillis bounds how long a service worker being installed waits
// for the page's appStartedMessage: a page that never starts the app
// (no WebAssembly, an error) still gets its worker, later.
const installWaitMillis = 30_000

// goappInstall is go-app's install handler in app.DefaultAppWorkerJS, which
// serviceWorkerTemplate replaces. TestServiceWorkerTemplate fails if a
// go-app update changes it.
const goappInstall = `self.addEventListener("install", async (event) => {
  try {
    console.log("installing app worker {{.Version}}");
    await installWorker();
    await self.skipWaiting();
  } catch (error) {
    console.error("error during installation:", error);
  }
});`

// ebiosInstall waits for the app to start before the worker downloads what
// it caches. go-app's worker registers as the page loads and its install
// fetches every cacheable file at once: on a first visit over a slow link
// those downloads (app.wasm a second time, mcworker.wasm, the pages) share
// the bandwidth with the page's own app.wasm and delay the first result.
// Waiting, its app.wasm is a revalidation of what the page downloaded
// (a 304: the assets carry ETags). event.waitUntil keeps the worker alive
// while it waits and caches; a failed download is logged and the worker
// still activates, as go-app's does.
var ebiosInstall = `let ebiosAppStarted;
const ebiosAppStartedOrLater = Promise.race([
  new Promise((resolve) => { ebiosAppStarted = resolve; }),
  new Promise((resolve) => setTimeout(resolve, ` + strconv.Itoa(installWaitMillis) + `)),
]);
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "` + appStartedMessage + `") ebiosAppStarted();
});

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    try {
      await ebiosAppStartedOrLater;
      console.log("installing app worker {{.Version}}");
      await installWorker();
      await self.skipWaiting();
    } catch (error) {
      console.error("error during installation:", error);
    }
  })());
});`

// serviceWorkerTemplate is go-app's app-worker.js template with its
// install handler replaced by ebiosInstall; go-app's own if the handler is
// not found (TestServiceWorkerTemplate keeps that from happening).
func serviceWorkerTemplate() string {
	return strings.Replace(app.DefaultAppWorkerJS, goappInstall, ebiosInstall, 1)
}
