import Foundation

/// Filters and paging for listing connections.
package struct ConnectionQuery: Sendable, Equatable {
    /// Only this user's connections.
    package var userID: String?
    /// Only this provider's connections.
    package var providerID: String?
    /// Page size.
    package var limit: Int
    /// Index of the first item.
    package var offset: Int

    /// Creates a query.
    package init(userID: String? = nil, providerID: String? = nil, limit: Int = 25, offset: Int = 0) {
        self.userID = userID
        self.providerID = providerID
        self.limit = limit
        self.offset = offset
    }
}
