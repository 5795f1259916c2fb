package app

// appStartedMessage is what the page posts to a service worker being
// installed once the app has started (see [serviceWorkerTemplate]).
const appStartedMessage = "ebios:app-started"
