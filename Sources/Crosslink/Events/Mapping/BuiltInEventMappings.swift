/// The built-in event mappings, the same text as the repository's `mappings/*.json` (a test
/// checks they match), so `--map rees46` works without the files.
enum BuiltInEventMappings {
    static let json: [String: String] = [
        "online-retail": #"""
{
  "crosslinkEventMapping": 1,
  "name": "online-retail",
  "description": "UCI Online Retail (Chen, Sain & Guo 2012): InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country; one row per invoice line, C... invoices cancel, A... invoices are bad-debt adjustments",
  "csv": { "delimiter": ",", "header": true },
  "columns": {
    "type": "InvoiceNo",
    "order": "InvoiceNo",
    "session": "InvoiceNo",
    "sku": "StockCode",
    "name": "Description",
    "quantity": "Quantity",
    "time": "InvoiceDate",
    "price": "UnitPrice",
    "customer": "CustomerID",
    "visitor": "CustomerID"
  },
  "fieldOptions": {
    "customer": { "trimSuffix": ".0" },
    "visitor": { "trimSuffix": ".0", "ifEmpty": "guest-{order}" }
  },
  "time": { "format": "yyyy-MM-dd HH:mm:ss", "zone": "Europe/London" },
  "types": {
    "prefixes": { "C": "cancellation", "A": "skip" },
    "otherwise": "purchase"
  },
  "orders": { "quantitySigns": "negative-in-cancellations" },
  "skipRows": [
    { "field": "sku", "unlessMatching": "[0-9]{5}[A-Za-z]*", "reason": "not a product code" },
    { "field": "price", "equals": 0, "reason": "zero price" }
  ],
  "eventID": { "prefix": "online-retail:" }
}

"""#,
        "rees46": #"""
{
  "crosslinkEventMapping": 1,
  "name": "rees46",
  "description": "REES46 / Open CDP 'eCommerce behavior data from multi category store' (2019-Oct.csv, 2019-Nov.csv): event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session",
  "csv": { "delimiter": ",", "header": true },
  "columns": {
    "time": "event_time",
    "type": "event_type",
    "sku": "product_id",
    "price": "price",
    "category": "category_code",
    "brand": "brand",
    "visitor": "user_id",
    "session": "user_session"
  },
  "time": { "format": "yyyy-MM-dd HH:mm:ss 'UTC'" },
  "types": {
    "values": {
      "view": "product-view",
      "cart": "add-to-cart",
      "remove_from_cart": "remove-from-cart",
      "purchase": "purchase"
    },
    "unknown": "refuse"
  },
  "category": { "separator": "." },
  "eventID": { "prefix": "rees46:" }
}

"""#,
    ]
}
