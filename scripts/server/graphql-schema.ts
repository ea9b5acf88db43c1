/**
 * The shop's typed GraphQL operations (SPEC section 10), added to Parse's generated schema with its
 * `graphQLCustomTypeDefs` option. Each field `@resolve`s to the cloud function of the same name with
 * the request's auth, so the same zod validation (142), access checks (119) and code run as for REST.
 *
 * Result types mirror the functions' JSON (SPEC section 7): money in major units as Float, as the
 * functions return it; times as ISO strings; countdowns as Float, since milliseconds overflow a
 * GraphQL Int (32 bits) for a sale more than 24 days away. Arguments that the zod schemas restrict
 * (statuses, ranges, code format) are plain String/Int here, so that a bad value gets the same 142
 * naming the parameter rather than a GraphQL validation error. Type names stay clear of Parse's
 * generated class types (Cart, Order, FlashSale, ...), which the merge would otherwise combine.
 */
export const SHOP_TYPE_DEFS = /* GraphQL */ `
  type ServerTimeResult {
    "The server's clock (ISO 8601); countdowns are relative to it, never to the device clock."
    now: String!
  }

  type SaleBadge {
    id: ID!
    salePrice: Float!
    startTime: String!
    endTime: String!
    "upcoming, live, ended or sold_out"
    status: String!
    startsInMs: Float!
    endsInMs: Float!
    "Units left at the sale price; null when the sale has no quantity limit."
    remaining: Int
  }

  type CatalogProduct {
    id: ID!
    name: String!
    description: String
    imageUrl: String
    price: Float!
    stock: Int!
    "The live sale, else the next upcoming one, else null."
    sale: SaleBadge
  }

  type CatalogResult {
    serverTime: String!
    products: [CatalogProduct!]!
  }

  type SaleProductSummary {
    id: ID!
    name: String!
    imageUrl: String
  }

  type FlashSaleListing {
    id: ID!
    product: SaleProductSummary!
    price: Float!
    salePrice: Float!
    startTime: String!
    endTime: String!
    status: String!
    startsInMs: Float!
    endsInMs: Float!
    remaining: Int
    perUserLimit: Int
  }

  type FlashSalesResult {
    serverTime: String!
    sales: [FlashSaleListing!]!
  }

  type PricedCartItem {
    productId: ID!
    name: String!
    quantity: Int!
    unitPrice: Float!
    "The sale price this line gets, or null when it is priced at the list price."
    salePrice: Float
    lineTotal: Float!
    stock: Int!
  }

  "Why a line (productId) or the applied code (code) is not counted in the total."
  type CartProblem {
    productId: ID
    code: String
    reason: String!
  }

  type PricedCart {
    items: [PricedCartItem!]!
    code: String
    subtotal: Float!
    discount: Float!
    total: Float!
    currency: String!
    problems: [CartProblem!]!
  }

  type CheckoutOrder {
    id: ID!
    productId: ID!
    quantity: Int!
    unitPrice: Float!
    amount: Float!
    status: String!
  }

  type CheckoutResult {
    checkoutId: ID!
    orders: [CheckoutOrder!]!
    subtotal: Float!
    discount: Float!
    total: Float!
    currency: String!
  }

  type OrderResult {
    id: ID!
    productId: ID!
    quantity: Int!
    unitPrice: Float!
    amount: Float!
    "pending, paid, shipped, delivered or cancelled"
    status: String!
    code: String
    checkoutId: ID
  }

  type RestockResult {
    stock: Int!
  }

  type PersonalOffer {
    code: String!
    "coupon or discountCode"
    kind: String!
    "A coupon's amount off the subtotal."
    discount: Float
    "A discount code's percentage."
    percentage: Int
    "The products a discount code is limited to."
    products: [ID!]
    validUntil: String
    usesLeft: Int
  }

  type MyOffersResult {
    serverTime: String!
    offers: [PersonalOffer!]!
  }

  input CartItemInput {
    productId: ID!
    quantity: Int!
  }

  extend type Query {
    serverTime: ServerTimeResult! @resolve
    catalog(limit: Int, skip: Int, search: String): CatalogResult! @resolve
    "status: live, upcoming or all (the default)"
    flashSales(status: String): FlashSalesResult! @resolve
    getCart: PricedCart! @resolve
    myOffers: MyOffersResult! @resolve
  }

  extend type Mutation {
    addToCart(productId: ID!, quantity: Int!): PricedCart! @resolve
    "quantity 0 removes the line"
    setCartItem(productId: ID!, quantity: Int!): PricedCart! @resolve
    applyCode(code: String!): PricedCart! @resolve
    removeCode: PricedCart! @resolve
    "Buys the cart, or the items given. The same idempotencyKey returns the first result."
    checkout(idempotencyKey: String!, items: [CartItemInput!], code: String, expectedTotal: Float): CheckoutResult! @resolve
    cancelOrder(orderId: ID!): OrderResult! @resolve
    "Admins, or the master key (a payment webhook)."
    updateOrderStatus(orderId: ID!, status: String!): OrderResult! @resolve
    "Admins only."
    restock(productId: ID!, quantity: Int!): RestockResult! @resolve
  }
`;
