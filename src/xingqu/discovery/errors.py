from enum import StrEnum


class DiscoveryError(StrEnum):
    UNKNOWN_ACTION = "discovery.unknown_action"
    ACTION_NOT_RECORDABLE = "discovery.action_not_recordable"
    INVALID_BEHAVIOUR = "discovery.invalid_behaviour"
    INVALID_BATCH = "discovery.invalid_batch"
    INVALID_QUERY = "discovery.invalid_query"
    INVALID_FEED_REQUEST = "discovery.invalid_feed_request"
    INVALID_EXPORT = "discovery.invalid_export"
