package command

func setStripe(c *Client, i int) { c.Stripe = i }
