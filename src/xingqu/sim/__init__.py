"""The marketplace simulator: a generated world of people with latent interests and merchants of
varying quality, who act on the platform only through its services (see `runner`)."""
