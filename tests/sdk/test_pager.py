"""rq.Pager: the paging both clients share (no I/O; the test plays the server)."""

from types import SimpleNamespace

from lockstep_client import _requests as rq


def serve(items, requests):
    """A fetch over `items` that records each (page_size, page_token) request."""

    def fetch(req):
        requests.append(req)
        size, token = req
        start = int(token or 0)
        nxt = start + size
        return SimpleNamespace(
            items=items[start:nxt], next_page_token=str(nxt) if nxt < len(items) else ""
        )

    return fetch


def drain(pager, fetch):
    while (req := pager.next_request()) is not None:
        yield from pager.take(fetch(req))


def pager(limit, page_size):
    return rq.Pager(lambda size, token: (size, token), lambda r: r.items, str, limit, page_size)


def test_all_pages_without_limit():
    requests = []
    assert list(drain(pager(None, 2), serve(list(range(5)), requests))) == list("01234")
    assert requests == [(2, ""), (2, "2"), (2, "4")]


def test_limit_cuts_the_page_and_asks_for_no_more_than_it_needs():
    requests = []
    assert list(drain(pager(3, 2), serve(list(range(5)), requests))) == list("012")
    assert requests == [(2, ""), (1, "2")]


def test_pages_are_fetched_only_as_consumed():
    requests = []
    it = drain(pager(None, 2), serve(list(range(5)), requests))
    assert requests == []
    assert [next(it), next(it)] == ["0", "1"]
    assert len(requests) == 1
