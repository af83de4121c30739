"""Face: detection, encoding, quality gates, liveness, gallery index, open-set decision."""
