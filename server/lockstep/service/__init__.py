"""The gRPC face of the engine: servicers that convert and delegate, nothing more."""
