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

    /// Decodes a page as the official clients read one: `items` absent or `null` (as a server
    /// in Go writes an empty list) is no items, and a count left out is this page's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
        limit = try container.decodeIfPresent(Int.self, forKey: .limit) ?? items.count
        offset = try container.decodeIfPresent(Int.self, forKey: .offset) ?? 0
        pageCount = try container.decodeIfPresent(Int.self, forKey: .pageCount) ?? items.count
        totalCount = try container.decodeIfPresent(Int.self, forKey: .totalCount) ?? offset + items.count
    }
}

extension OffsetPage: Equatable where Item: Equatable {}
