"""What the server keeps beside checkpoints: thread records, and opening a store by URL."""
