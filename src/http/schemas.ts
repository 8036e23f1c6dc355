import { Type } from 'typebox';

/**
 * Wire shapes. Request fields are strings or numbers as clients send them (PHP and JS
 * clients send numbers for amounts); unknown extra fields are kept, because they are signed.
 * Response schemas let fastify precompile the serializers.
 */
const Value = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const LatipayBody = Type.Object({}, { additionalProperties: Value });
export const LatipayQuery = Type.Object({}, { additionalProperties: Type.String() });

export const CreateTransactionAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  host_url: Type.Optional(Type.String()),
  nonce: Type.Optional(Type.String()),
  signature: Type.Optional(Type.String()),
});

export const QueryTransactionAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  merchant_reference: Type.Optional(Type.String()),
  order_id: Type.Optional(Type.String()),
  currency: Type.Optional(Type.String()),
  amount: Type.Optional(Type.String()),
  payment_method: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  pay_time: Type.Optional(Type.String()),
  signature: Type.Optional(Type.String()),
});

export const ReferenceParams = Type.Object({ merchant_reference: Type.String() });

const Text = Type.String();
export const NonceParams = Type.Object({ nonce: Type.String() });
export const WalletParams = Type.Object({ wallet_id: Type.String() });

export const GatewayDataAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Optional(
    Type.Object({
      order_id: Text,
      nonce: Text,
      payment_method: Text,
      amount: Text,
      amount_cny: Text,
      currency: Text,
      product_name: Text,
      organisation_id: Type.Integer(),
      organisation_name: Text,
      user_id: Text,
      user_name: Text,
      wallet_id: Text,
      wallet_name: Text,
      qr_code: Text,
      qr_code_url: Text,
      currency_rate: Text,
      merchant_reference: Text,
      signature: Text,
    }),
  ),
});

export const AllRateAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  currency: Type.Optional(Text),
  rates: Type.Optional(Type.Array(Type.Object({ currency: Text, rate: Text, updated_at: Text }))),
  signature: Type.Optional(Text),
});

export const WalletDetailAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  payment_method: Type.Optional(Text),
});

export const BarcodeAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  order_id: Type.Optional(Type.String()),
});

/** `POST /v2/miniapppay`: what wx.requestPayment takes, and the order. */
export const MiniAppPayAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  payment: Type.Optional(Type.Object({ nonceStr: Text, paySign: Text, signType: Text, timeStamp: Text, packageStr: Text })),
  paydata: Type.Optional(Type.Object({ order_id: Text })),
});

/** `POST /v2/minialipay`: the fields of my.tradePay's orderStr, and the order. */
export const MiniAlipayAnswer = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  messageCN: Type.Optional(Text),
  gatewaydata: Type.Optional(Type.Object({}, { additionalProperties: Text })),
  paydata: Type.Optional(Type.Object({ orderId: Text, customerOrderId: Text, amount: Text, currency: Text })),
});
