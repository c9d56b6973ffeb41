"""Who is calling: bearer tokens checked by a server interceptor, and the caller's tenant.

Every RPC but `grpc.health.v1.Health` (load balancers and probes hold no token)
must carry `authorization: Bearer <token>`. The interceptor puts the token's
tenant in the `TENANT` contextvar; grpc.aio handles each RPC in its own task and
calls the interceptor in it, so the servicers read `current_tenant()` without
the tenant being passed around. Without authentication every caller is the
default tenant.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping

import grpc

from lockstep.runs.errors import Code, Reason, RequestError
from lockstep.runs.hosting import TENANT
from lockstep.service.errors import to_status
from lockstep.stores.threads import DEFAULT_TENANT

OPEN_PREFIXES = ("/grpc.health.v1.Health/",)
ENV_TOKEN = "LOCKSTEP_AUTH_TOKEN"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Tokens:
    """Token -> tenant, looked up in constant time: every known token is compared,
    as a SHA-256 digest (equal lengths), so timing tells nothing about a guess."""

    def __init__(
        self, tenants: Mapping[str, str], source: tuple[str | None, str | None] = (None, None)
    ) -> None:
        if not tenants:
            raise ValueError("no auth tokens given")
        self._entries = [(_digest(token), tenant) for token, tenant in tenants.items()]
        self.tenants = frozenset(tenants.values())
        self._source = source  # (tokens file, LOCKSTEP_AUTH_TOKEN) as load_tokens had them

    def __len__(self) -> int:
        return len(self._entries)

    def tenant(self, token: str) -> str | None:
        guess = _digest(token)
        found = None
        for digest, tenant in self._entries:  # one list, whatever a reload swaps in meanwhile
            if hmac.compare_digest(digest, guess):
                found = tenant
        return found

    def reload(self) -> None:
        """Read the tokens file again (the server does on SIGHUP), so tokens can be
        added and revoked without a restart. Calls already authenticated go on; a
        file that cannot be read or parsed raises ValueError and the old tokens stay."""
        fresh = load_tokens(*self._source)
        if fresh is None:
            raise ValueError("there are no tokens to read again")
        self._entries, self.tenants = fresh._entries, fresh.tenants


def parse_tokens(text: str, source: str) -> dict[str, str]:
    """`TOKEN TENANT` per line; blank lines and `#` comments are skipped; a bad
    line is a ValueError naming `source:line`."""
    tenants: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2:
            raise ValueError(
                f"{source}:{number}: expected 'TOKEN TENANT', found {len(words)} word(s)"
            )
        token, tenant = words
        if token in tenants:
            raise ValueError(f"{source}:{number}: this token is already given on an earlier line")
        tenants[token] = tenant
    return tenants


def load_tokens(path: str | None, env_token: str | None) -> Tokens | None:
    """The tokens of `--auth-tokens FILE` and of LOCKSTEP_AUTH_TOKEN (tenant `default`);
    None when neither is given, i.e. no authentication."""
    tenants: dict[str, str] = {}
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"--auth-tokens: cannot read {path}: {exc}") from None
        tenants = parse_tokens(text, path)
        if not tenants:
            raise ValueError(f"--auth-tokens: {path} has no 'TOKEN TENANT' line")
    if env_token:
        if env_token.strip() != env_token or len(env_token.split()) != 1:
            raise ValueError(f"{ENV_TOKEN} must be one word, without spaces")
        tenants.setdefault(env_token, DEFAULT_TENANT)
    return Tokens(tenants, (path, env_token)) if tenants else None


def _bearer(metadata) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return ""
    return None


def _denying(handler: grpc.RpcMethodHandler | None, error: RequestError) -> grpc.RpcMethodHandler:
    """A handler of the same shape as `handler` that refuses the call with `error`
    (no deserializer: the request is never parsed)."""
    status = to_status(error)

    async def deny(_request, context: grpc.aio.ServicerContext) -> None:
        await context.abort_with_status(status)

    streaming_in = handler is not None and handler.request_streaming
    streaming_out = handler is not None and handler.response_streaming
    if streaming_in and streaming_out:
        return grpc.stream_stream_rpc_method_handler(deny)
    if streaming_in:
        return grpc.stream_unary_rpc_method_handler(deny)
    if streaming_out:
        return grpc.unary_stream_rpc_method_handler(deny)
    return grpc.unary_unary_rpc_method_handler(deny)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without a known bearer token (UNAUTHENTICATED) and sets the tenant."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = details.method or ""
        if method.startswith(OPEN_PREFIXES):
            return await continuation(details)
        token = _bearer(details.invocation_metadata)
        tenant = self.tokens.tenant(token) if token else None
        if tenant is None:
            return _denying(await continuation(details), _refusal(token))
        TENANT.set(tenant)  # this RPC's task; the handler runs in it after this returns
        return await continuation(details)


def _refusal(token: str | None) -> RequestError:
    if token is None:
        return RequestError(
            "this server requires authentication: send the metadata "
            "'authorization: Bearer <token>'",
            Reason.TOKEN_MISSING,
            Code.UNAUTHENTICATED,
        )
    if token == "":
        return RequestError(
            "the authorization metadata must read 'Bearer <token>'",
            Reason.TOKEN_MISSING,
            Code.UNAUTHENTICATED,
        )
    return RequestError("the bearer token is not valid", Reason.TOKEN_INVALID, Code.UNAUTHENTICATED)
