"""The example graphs `lockstep serve` hosts when given no --graph (each module's `graph`, loaded by file like any --graph); they may import the engine (`lockstep`) only."""
