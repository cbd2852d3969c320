"""monitor: medical news monitoring — feeds in, boilerplate-free articles, stories, topic digests out."""

__version__ = "0.1.0"
