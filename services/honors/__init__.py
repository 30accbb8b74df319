"""Honor lists (光荣榜): candidates, rankings by earned points, posters, the loudspeaker broadcast."""
