"""Helpers of the extraction stage (decoding, metadata); `monitor.extract` is the entry point."""
