"""Signal receivers of community programmes (see ``CommunityConfig.ready``)."""
