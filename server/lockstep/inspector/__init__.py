"""`lockstep inspect`: a web page for looking at graphs, threads, interrupts and history,
and acting on them (run, edit state, resume, fork, cancel).

`app` is the HTTP server and its JSON API (over the public SDK only), `views` shapes
the SDK's answers for the page, `serve` runs it from the command line; `assets/` is the
page itself (plain HTML/CSS/JS, Mermaid vendored with its license), shipped in the package.
Needs the `inspector` extra (aiohttp).
"""
