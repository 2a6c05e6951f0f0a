/// One page of a list endpoint, in Arcade's offset-page shape.
public struct OffsetPage<Item: Codable & Sendable>: Codable, Sendable {
    /// The items of this page.
    public var items: [Item]
    /// The page size asked for.
    public var limit: Int
    /// The index of the first item.
    public var offset: Int
    /// The number of items in this page.
    public var pageCount: Int
    /// The number of items in all pages.
    public var totalCount: Int

    /// Creates a page.
    public init(items: [Item], limit: Int, offset: Int, totalCount: Int) {
        self.items = items
        self.limit = limit
        self.offset = offset
        self.pageCount = items.count
        self.totalCount = totalCount
    }

    enum CodingKeys: String, CodingKey {
        case items, limit, offset
        case pageCount = "page_count"
        case totalCount = "total_count"
    }
}

extension OffsetPage: Equatable where Item: Equatable {}
