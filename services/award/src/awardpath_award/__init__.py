"""Award service (issuer of record): issuers, the micro-credential catalog, the issuer's
decision queue and policy, and awards."""
