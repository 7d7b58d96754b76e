import Foundation
import Testing
@testable import Crosslink

@Suite struct UnitValidationTests {
    func refusal(_ store: CrosslinkStore, _ unit: RecommendationUnit) -> String {
        do {
            try store.write { db in _ = try UnitRepository(db).save(unit) }
            return "accepted"
        } catch { return String(describing: error) }
    }

    @Test func refusesWhatTheSpecForbids() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let trending = UnitFixtures.unit("Hot", page: .product, type: .recommendation(.trending))
        #expect(refusal(store, trending).hasPrefix(#"unit "Hot": type: type trending is not allowed on a product page; allowed: viewed-viewed"#))
        #expect(refusal(store, UnitFixtures.unit("Up", page: .cart, type: .block(.upsell))).contains("type upsell is not allowed on a cart page"))
        #expect(refusal(store, UnitFixtures.unit("B", page: .home, type: .recommendation(.mostViewed), backups: [.recommendation(.moreLikeThis)]))
                == #"unit "B": backups[0]: type more-like-this is not allowed on a home page"#)
        #expect(refusal(store, UnitFixtures.unit("Zero", page: .home, type: .recommendation(.mostViewed), count: 0))
                == #"unit "Zero": count: number of products must be 1 to 20, found 0"#)
        #expect(refusal(store, UnitFixtures.unit("Many", page: .home, type: .recommendation(.mostViewed), count: 21))
                == #"unit "Many": count: number of products must be 1 to 20, found 21"#)
        #expect(refusal(store, UnitFixtures.unit("Attr", page: .home, type: .recommendation(.mostViewed),
                                                  include: [.attribute(code: "colour", values: ["Red"])]))
                == #"unit "Attr": filters.include[0].attribute: unknown attribute "colour""#)
        #expect(refusal(store, UnitFixtures.unit("Cat", page: .home, type: .recommendation(.mostViewed), exclude: [.category(.ids([999]))]))
                == #"unit "Cat": filters.exclude[0].category: unknown category 999"#)
        #expect(refusal(store, UnitFixtures.unit("Sku", page: .home, type: .recommendation(.mostViewed), include: [.products(["A", "NOPE"])]))
                == #"unit "Sku": filters.include[0].sku: unknown SKU "NOPE""#)
        #expect(refusal(store, UnitFixtures.unit("Rel", page: .home, type: .recommendation(.mostViewed), include: [.category(.viewed)]))
                == #"unit "Rel": filters.include[0].category: the viewed product's categories exist only on a product page"#)
        #expect(refusal(store, UnitFixtures.unit("Pct", page: .cart, type: .recommendation(.mostViewed),
                                                 include: [.price(min: .percent(80), max: nil)]))
                == #"unit "Pct": filters.include[0].price: a price relative to the viewed product exists only on a product page"#)
        var split = UnitFixtures.unit("Split", page: .home, type: .recommendation(.mostViewed))
        split.variants = [UnitVariant(variant: "A", traffic: 50, type: .recommendation(.mostViewed)),
                          UnitVariant(variant: "B", traffic: 40, type: .recommendation(.trending))]
        #expect(refusal(store, split) == #"unit "Split": variants: traffic must add up to 100, found 50 + 40 = 90"#)
        #expect(try store.read { db in try db.scalarInt("SELECT count(*) FROM units") } == 0)
    }

    @Test func refusesASixthActiveUnitOfAPageType() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        try store.write { db in
            for i in 1...5 { try UnitRepository(db).save(UnitFixtures.unit("P\(i)", page: .product, type: .recommendation(.mostViewed), position: i)) }
            // Another page type and drafts do not count.
            try UnitRepository(db).save(UnitFixtures.unit("Home", page: .home, type: .recommendation(.mostViewed)))
            var draft = UnitFixtures.unit("P6", page: .product, type: .recommendation(.mostViewed))
            draft.status = .draft
            try UnitRepository(db).save(draft)
        }
        #expect(refusal(store, UnitFixtures.unit("P7", page: .product, type: .recommendation(.mostViewed)))
                == #"unit "P7": status: at most 5 active units per page type: the product page of store default has "P1", "P2", "P3", "P4", "P5" active already"#)
        #expect(throws: InputError.self) { try store.write { db in try UnitRepository(db).setStatus(.active, name: "P6") } }
        // Deactivating one makes room.
        try store.write { db in
            try UnitRepository(db).setStatus(.inactive, name: "P1")
            try UnitRepository(db).setStatus(.active, name: "P6")
        }
        // The trigger refuses even hand-written SQL.
        #expect(throws: DatabaseError.self) { try store.write { db in try db.execute("UPDATE units SET status = 'active' WHERE name = 'P1'") } }
    }

    @Test func jsonRoundTripAndErrorsNameUnitPathAndLine() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        let text = """
            {"units": [
              {"name": "Also viewed", "label": "Customers also viewed", "page_type": "product", "status": "active",
               "type": "viewed-viewed", "count": 4, "backups": ["more-like-this"],
               "filters": {"include": [{"category": "viewed"}, {"price": {"min_percent": 80}}],
                           "exclude": [{"stock": "low", "below": 3}, {"attribute": "color", "values": ["Red"]}]},
               "max_per_category": 2},
              {"name": "Home test", "page_type": "home", "placement": "top", "position": 2,
               "variants": [{"variant": "A", "traffic": 30, "type": "most-viewed"},
                            {"variant": "B", "traffic": 70, "type": "trending", "count": 8, "shuffle": true}]}
            ]}
            """
        let ids = try store.write { db in try UnitRepository(db).importFile(try UnitFile.parse(text, file: "units.json")) }
        #expect(ids.count == 2)
        let units = try store.read { db in try UnitRepository(db).units() }
        #expect(units.map(\.name) == ["Home test", "Also viewed"])
        let also = units[1]
        #expect(also.variants == [UnitVariant(type: .recommendation(.viewedViewed), productCount: 4, backups: [.recommendation(.moreLikeThis)],
                                              filters: UnitFilters(include: [.category(.viewed), .price(min: .percent(80), max: nil)],
                                                                   exclude: [.stock(.low(below: 3)), .attribute(code: "color", values: ["Red"])]),
                                              maxPerCategory: 2)])
        // Export → import into an empty database → export gives the same file.
        let exported = UnitFile.export(units)
        let other = try UnitFixtures.shop(TemporaryDirectory())
        try other.write { db in _ = try UnitRepository(db).importFile(try UnitFile.parse(exported)) }
        #expect(UnitFile.export(try other.read { db in try UnitRepository(db).units() }) == exported)

        // A bad unit: the message names the file, line and column, the unit and the JSON path; nothing is imported.
        let bad = """
            [{"name": "Good", "page_type": "home", "type": "most-viewed"},
             {"name": "Bad", "page_type": "cart", "type": "most-viewed",
              "filters": {"include": [{"attribute": "colour", "values": ["Red"]}]}}]
            """
        let empty = try UnitFixtures.shop(TemporaryDirectory())
        #expect {
            try empty.write { db in _ = try UnitRepository(db).importFile(try UnitFile.parse(bad, file: "bad.json")) }
        } throws: { error in
            String(describing: error) == #"bad.json:3:41: unit "Bad": filters.include[0].attribute: unknown attribute "colour""#
        }
        #expect(try empty.read { db in try db.scalarInt("SELECT count(*) FROM units") } == 0)
        #expect {
            _ = try UnitFile.parse(#"[{"name": "X", "page_type": "home", "type": "most-viewd"}]"#, file: "t.json")
        } throws: { error in
            String(describing: error).hasPrefix(#"t.json:1:45: unit "X": type: unknown value "most-viewd"; expected one of most-viewed"#)
        }
        #expect {
            _ = try UnitFile.parse(#"[{"name": "X", "page_type": "home", "type": "most-viewed", "filters": {"include": [{"stock": "low", "values": []}]}}]"#)
        } throws: { error in
            String(describing: error) == #"line 1, column 111: unit "X": filters.include[0].values: does not apply to a stock condition"#
        }
    }

    @Test func unitListViewReadsWithTheSqlite3CLI() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        var unit = UnitFixtures.unit("Split", page: .home, type: .recommendation(.mostViewed), count: 4)
        unit.label = "Popular now"
        unit.variants.append(UnitVariant(variant: "B", traffic: 40, type: .recommendation(.trending), productCount: 6))
        unit.variants[0].traffic = 60
        try store.write { db in _ = try UnitRepository(db).save(unit) }
        let rows = try sqlite3Rows(store.path, """
            SELECT store, name, page_type, placement, position, status, variant, traffic, type, product_count, label
            FROM unit_list ORDER BY variant
            """)
        #expect(rows == [["default", "Split", "home", "bottom", "1", "active", "A", "60", "most-viewed", "4", "Popular now"],
                         ["default", "Split", "home", "bottom", "1", "active", "B", "40", "trending", "6", "Popular now"]])
    }
}

@Suite struct UnitVariantTests {
    @Test func bucketsAreFNV1aOfVisitorAndUnit() {
        // Computed with python3: FNV-1a-64(visitor ‖ 0x00 ‖ unit id) mod 100.
        #expect(VariantAssignment.hash(visitor: "v-1", unitID: 1) == 0x89ab_005c_7783_e17c)
        #expect([("v-1", 1, 84), ("v-1", 2, 17), ("v-2", 2, 52), ("v-5", 2, 21), ("", 1, 54)].allSatisfy {
            VariantAssignment.bucket(visitor: $0.0, unitID: $0.1) == $0.2 })
        #expect(VariantAssignment.bucket(visitor: nil, unitID: 2) == 43)
    }

    @Test func visitorsKeepTheirVariantAndTheResolvedPageSaysWhich() throws {
        let directory = try TemporaryDirectory()
        let store = try UnitFixtures.shop(directory)
        var split = UnitFixtures.unit("Split", page: .home, type: .recommendation(.mostViewed), count: 1)
        split.variants = [UnitVariant(variant: "B", traffic: 50, type: .recommendation(.mostViewed), productCount: 2),
                          UnitVariant(variant: "A", traffic: 50, type: .recommendation(.mostViewed), productCount: 1)]
        try store.write { db in
            try db.execute("DELETE FROM units")
            _ = try UnitRepository(db).save(UnitFixtures.unit("First", page: .cart, type: .recommendation(.mostViewed)))   // unit 1
            #expect(try UnitRepository(db).save(split) == 2)
        }
        // Unit 2's buckets (python3): v-1 17, v-2 52, v-3 71, v-4 94, v-5 21, v-6 48; A takes 0–49.
        let expected = ["v-1": "A", "v-2": "B", "v-3": "B", "v-4": "B", "v-5": "A", "v-6": "A"]
        for (visitor, variant) in expected {
            for _ in 0..<2 {
                let unit = try store.resolvePage(.home, visitor: visitor).units[0]
                #expect(unit.unitID == 2)
                #expect(unit.variant == variant)
                #expect(unit.products.count == (variant == "A" ? 1 : 2))
            }
        }
    }
}
