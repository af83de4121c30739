"""Cross-cutting pieces every domain uses: configuration, errors, events, crypto, masking."""
