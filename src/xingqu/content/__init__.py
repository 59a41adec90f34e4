"""Content: creators, videos / livestreams / posts, the products they carry, follows."""
