"""Registration, venue zones and gates, entrance codes, contactless security."""
